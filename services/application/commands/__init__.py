"""Command models: one pydantic model per action, grouped by what they act on. They check
shape (types, lengths, vocabularies) before the domain is touched; the aggregates check
meaning (transitions, references, deadlines)."""
