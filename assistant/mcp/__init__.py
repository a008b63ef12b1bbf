"""Model Context Protocol front end (`assistant mcp`): the pipeline's search, answers and
papers for AI clients and editors, over stdio (:mod:`.server`, :mod:`.tools`)."""
