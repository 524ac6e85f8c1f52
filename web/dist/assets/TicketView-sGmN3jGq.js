import{K as e,W as t,V as o}from"./vendor-B4hh_WUz.js";const s={class:"page"},r=e({__name:"TicketView",props:{kind:{}},setup(n){return(a,c)=>(o(),t("div",s))}});export{r as default};
