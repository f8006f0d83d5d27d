"""The ballot server for phones: an ASGI app (Starlette) under uvicorn that serves one round's
ballot page on the meeting room's network. It reads and writes only through the store."""
