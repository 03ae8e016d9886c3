"""The editors' loop: what people asked that the assistant could not answer, and whether its answers helped
(`make report`, the inbox's Content report)."""
