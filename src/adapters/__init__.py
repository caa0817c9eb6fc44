"""Infrastructure: databases, the projector, clocks, tokens; implements what the domain needs."""
