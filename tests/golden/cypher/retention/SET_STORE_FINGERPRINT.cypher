
MATCH (st:Store {id: $store})
SET st.retention_fingerprint = $fingerprint
