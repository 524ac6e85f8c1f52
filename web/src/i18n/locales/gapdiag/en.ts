// Gap diagnosis strings, mounted under "gapdiag".
import type gapdiagZh from './zh-CN'

const gapdiag: typeof gapdiagZh = {
  refresh: 'Refresh',
  title: 'Gap diagnosis',
  against: { previous: 'vs previous period', peers: 'vs peers' },
  reference: { previous: 'your previous period', peers: "your peers' median" },
  summary: 'Gap {gap} = the target above {reference} ({actual}), {stretch} + the factors + not explained, {residual}',
  factors: {
    opportunities: 'Opportunities',
    conversion: 'Win rate',
    order_value: 'Average order value',
    cycle: 'Cycle',
  },
  stretch: 'Target above reference',
  residual: 'Not explained',
  gap: 'Gap',
  own: 'Own',
  ref: 'Reference',
  part: 'Effect',
  notComparable: '0 or no data on one side; counted as not explained',
  top: 'Main cause: {factor}',
  noTop: 'No factor is behind the reference: the gap is the target above it',
  notBehind: 'The goal is reached; no gap to diagnose',
  noTarget: 'No target set; nothing to diagnose',
  unavailable: 'No diagnosis: {reason}',
  noPeers: 'No peer inside your data scope to compare with',
  outOfScope: 'This subject is outside your data scope',
  formula: 'revenue = opportunities × win rate × average order value ÷ cycle',
  days: '{v} days',
  actions: {
    visits: '+{amount} visits a week to reach the opportunity count of {reference} ({to} new opportunities instead of {from})',
    opportunities: '+{amount} new opportunities this period to reach the opportunity count of {reference} ({to} instead of {from})',
    conversion: 'Raise the win rate from {from} to {to} like {reference}: {amount} more wins of the {open} open opportunities',
    conversion_decided: 'Raise the win rate from {from} to {to} like {reference}: {amount} more wins of every {decided} opportunities decided',
    order_value: 'Raise the average order value from {from} to {to} like {reference} (+{amount} a deal)',
    cycle: 'Shorten the opportunity cycle from {from} to {to} days like {reference} ({amount} days faster)',
  },
}

export default gapdiag
