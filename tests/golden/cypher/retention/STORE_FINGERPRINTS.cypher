
MATCH (st:Store) WHERE EXISTS { (st)<-[:IN_STORE]-(:Holding) }
RETURN st.id AS id, st.retention_fingerprint AS fingerprint
