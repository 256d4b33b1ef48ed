"""The Neo4j side: the model, its schema, and one module per aggregate, each owning its Cypher."""
