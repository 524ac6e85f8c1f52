import{K as e,W as t,V as o}from"./vendor-B4hh_WUz.js";const n={class:"page"},c=e({__name:"OpportunityView",props:{kind:{}},setup(s){return(p,a)=>(o(),t("div",n))}});export{c as default};
