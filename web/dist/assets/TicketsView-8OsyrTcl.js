import{K as e,W as s,V as t}from"./vendor-B4hh_WUz.js";const o={class:"page"},r=e({__name:"TicketsView",props:{kind:{}},setup(n){return(a,c)=>(t(),s("div",o))}});export{r as default};
