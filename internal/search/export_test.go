package search

// AlwaysScopeFirst makes SearchScoped take the scope-first plan whenever a
// Scope names its documents, so that tests on small data exercise it.
func AlwaysScopeFirst(on bool) { alwaysScopeFirst = on }
