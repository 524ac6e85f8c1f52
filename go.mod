module github.com/cohortcrm/cohort

go 1.26
