
MATCH (r:Request {id: $id})
RETURN r.received_at AS received_at, r.status AS status, r.zone AS zone,
       coalesce(r.extension_months, 0) AS months
