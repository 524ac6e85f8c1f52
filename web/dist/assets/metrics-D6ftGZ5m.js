import{f as r}from"./index-EslBVfWu.js";const i="/api/v1",e={catalog:()=>r.get(`${i}/metrics`),query:t=>r.post(`${i}/metrics/query`,t),drill:t=>r.post(`${i}/metrics/drill`,t)};export{e as m};
