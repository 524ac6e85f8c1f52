-- A rebuild of a tenant whose facts are empty writes its facts with the
-- secondary indexes of facts other than facts_source dropped and builds
-- them again at its end (building an index sorts its entries once; keeping
-- it while millions of rows arrive inserts each into a B-tree). The
-- definitions of the dropped indexes are kept here, in the transaction that
-- drops them, so that they are built again even when the rebuild stops
-- half way: the next rebuild or server start builds them (facts.RestoreIndexes).
CREATE TABLE facts_dropped_indexes (
    tenant_id  BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    definition TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
