import{K as e,W as o,V as s}from"./vendor-B4hh_WUz.js";const t={class:"page"},r=e({__name:"DealView",props:{kind:{}},setup(a){return(n,c)=>(s(),o("div",t))}});export{r as default};
