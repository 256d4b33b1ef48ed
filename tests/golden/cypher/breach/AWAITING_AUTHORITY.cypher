
MATCH (b:Breach {status: 'open'}) WHERE b.authority_notified_at IS NULL
RETURN b.id AS id, b.status AS status, b.stores AS stores, b.deadline AS deadline,
       b.risk AS risk, b.authority_notified_at AS authority_notified_at
ORDER BY deadline, id
