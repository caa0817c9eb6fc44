"""Read models, one package each: a pure projection (events → view rows) and its queries,
which read through the `Views` they are given and apply the caller's rights."""
