"""The Neo4j side: the model, its schema, every Cypher query, and the code that runs them."""
