import{K as e,W as s,V as o}from"./vendor-B4hh_WUz.js";const t={class:"page"},r=e({__name:"DealsView",props:{kind:{}},setup(a){return(n,c)=>(o(),s("div",t))}});export{r as default};
