"""The model, knowing nothing of files or pictures: factors, levers, the schema, agents, clients, the weekly schedule
and what a run records. Imports nothing else of ipsim."""
