
MATCH (b:Breach)
WHERE $id IS NULL OR b.id = $id
RETURN b {.id, .description, .scope, .stores, .countries, .outside_eea, .exposed_from,
          .exposed_to, .aware_at, .deadline, .status, .risk, .risk_reasons, .special, .subjects,
          .sizing, .opened_by, .opened_at, .authority_notified_at, .authority_notified_by,
          .authority_reference, .delay_reason, .people_notified_at, .people_notified_by,
          .people_notified_count, .closed_at, .closed_by, .closure_note} AS breach
ORDER BY breach.aware_at DESC, breach.id DESC
