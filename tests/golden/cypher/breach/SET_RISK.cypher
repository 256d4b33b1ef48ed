
MATCH (b:Breach {id: $id})
SET b.subjects = $subjects, b.sizing = $sizing, b.risk = $risk, b.risk_reasons = $reasons,
    b.special = $special
