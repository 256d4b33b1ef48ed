
MATCH (c:HeldCount)
RETURN c.store AS store, c.subject_type AS type, c.category AS category, c.holdings AS n
