package metrics

// RollupReads counts the statements that read a rollup, for the tests.
var RollupReads = &rollupReads
