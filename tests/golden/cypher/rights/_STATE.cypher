
WITH DISTINCT s
WITH s,
     COLLECT { MATCH (r:Request)-[:FOR]->(s)
               WHERE r.kind IN ['restriction', 'objection'] AND r.in_force_since IS NOT NULL
               RETURN {request: r.id, kind: r.kind, since: r.in_force_since.epochMillis,
                       purposes: coalesce(r.purposes, []), in_force: coalesce(r.in_force, false)}
     } AS limits,
     COLLECT { MATCH (s)-[:HAS_CONSENT]->(c:Consent) WHERE c.withdrawn_at IS NOT NULL
               RETURN {purpose: c.purpose, given_at: c.given_at.epochMillis,
                       withdrawn_at: c.withdrawn_at.epochMillis, withdrawn_event: c.withdrawn_event}
     } AS consents
WHERE size(limits) > 0 OR size(consents) > 0
RETURN s.key AS subject, limits, consents,
       COLLECT { MATCH (i:Identifier)-[:IDENTIFIES]->(s) RETURN i.key ORDER BY i.key } AS identifiers,
       COLLECT { MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
                 WHERE any(l IN limits WHERE l.in_force AND h.last_seen >= l.since)
                    OR any(c IN consents WHERE h.last_seen >= c.withdrawn_at)
                 RETURN {store: st.id, at: h.last_seen, event_id: h.last_event_id,
                         purposes: coalesce(h.purposes, []), legal_bases: coalesce(h.legal_bases, [])}
       } AS holdings
