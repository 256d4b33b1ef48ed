
MATCH (b:Breach {id: $id})
RETURN b.status AS status, b.deadline AS deadline, b.authority_notified_at AS authority_notified_at,
       b.subjects AS subjects
