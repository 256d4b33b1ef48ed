
CALL () { MATCH (n:Subject) RETURN count(n) AS subjects }
CALL () { MATCH (n:Identifier) RETURN count(n) AS identifiers }
CALL () { MATCH (n:Holding) RETURN count(n) AS holdings }
CALL () { MATCH (n:Holding {state: 'held'}) RETURN count(n) AS held }
CALL () { MATCH (n:Store) RETURN count(n) AS stores }
CALL () { MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS flows }
RETURN subjects, identifiers, holdings, held, stores, flows
