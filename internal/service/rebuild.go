package service

import (
	"context"
	"fmt"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// rebuildTables lists what the search index holds, by the table to read ids
// from (deals hold contracts and orders; their kind decides the type).
var rebuildTables = []struct {
	table string
	obj   cohort.ObjectType
	where string
}{
	{"customers", cohort.ObjCustomer, ""}, // with their contacts
	{"opportunities", cohort.ObjOpportunity, ""},
	{"leads", cohort.ObjLead, ""},
	{"deals", cohort.ObjContract, " AND kind = 'contract'"},
	{"deals", cohort.ObjOrder, " AND kind = 'order'"},
	{"projects", cohort.ObjProject, ""},
	{"tickets", cohort.ObjTicket, ""},
}

// RebuildSearch re-indexes every searchable record of a tenant from its
// tables, 500 records a transaction, telling progress how far it got. The
// index is written the way every write writes it, so a rebuild after a
// tokenizer change or a restore gives what incremental indexing would.
func (s *Service) RebuildSearch(ctx context.Context, tenantID cohort.ID, progress func(done, total int)) (int, error) {
	sctx, err := s.SystemContext(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range rebuildTables {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, "SELECT count(*) FROM "+t.table+" WHERE tenant_id = ?"+t.where, int64(tenantID)).Scan(&n); err != nil {
			return 0, fmt.Errorf("rebuild: count %s: %w", t.table, err)
		}
		total += n
	}
	done := 0
	for _, t := range rebuildTables {
		var after int64
		for {
			rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM "+t.table+" WHERE tenant_id = ? AND id > ?"+t.where+" ORDER BY id LIMIT 500",
				int64(tenantID), after)
			if err != nil {
				return done, fmt.Errorf("rebuild: %s: %w", t.table, err)
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return done, err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if len(ids) == 0 {
				break
			}
			err = s.db.WriteTx(sctx, func(tx *store.Tx) error {
				for _, id := range ids {
					var err error
					if t.obj == cohort.ObjLead {
						var l *cohort.Lead
						if l, err = store.FindLead(sctx, tx, tenantID, cohort.ID(id), store.Where{}); err == nil {
							err = s.indexLead(sctx, tx, l)
						}
					} else {
						err = s.reindexRecord(sctx, tx, t.obj, tenantID, cohort.ID(id))
					}
					if err != nil {
						return fmt.Errorf("rebuild: %s %d: %w", t.obj, id, err)
					}
				}
				return nil
			})
			if err != nil {
				return done, err
			}
			done += len(ids)
			after = ids[len(ids)-1]
			if progress != nil {
				progress(done, total)
			}
		}
	}
	return done, nil
}
