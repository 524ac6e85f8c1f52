package search

// AlwaysScopeFirst makes SearchScoped take the scope-first plan whenever a
// Scope names its documents, so that tests on small data exercise it.
func AlwaysScopeFirst(on bool) { alwaysScopeFirst = on }

// AlwaysDepartments makes SearchScoped narrow by Scope.Departments whenever
// it is set and the scope-first plan is not taken, whatever the counts.
func AlwaysDepartments(on bool) { alwaysDepartments = on }
