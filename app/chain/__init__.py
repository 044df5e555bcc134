"""A chain of stores on PostgreSQL logical replication: the head office publishes the catalog, each store its facts.

Modules: `tables` (which table is written where), `publications` (publications and the one-writer guards),
`links` (subscriptions: joining, resync), `status` (each link's state and lag), `upgrade` (migrations in the
chain's order), `facts` (what every fact row carries), `snapshots` (machine states for the head office),
`cluster` (a PostgreSQL cluster of our own, for tests, the demo and the benchmark), `cli` (`fabkiosk chain`),
`demo` (`make chain-demo`).
"""
