#!/usr/bin/python3
"""A real server's stream service for the sync failover test: echoes every
byte it receives on each PORT and counts them; when the client half-closes
it answers the decimal count and a newline after the echo, then closes. The
client compares that count with what it sent, so each connection is counted
at both ends as well as checked byte for byte (the echo). Stdlib only.

usage: echosrv.py PORT...
"""
import asyncio
import sys


async def serve(reader, writer):
    count = 0
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            count += len(data)
            writer.write(data)
            await writer.drain()
        writer.write(b"%d\n" % count)
        await writer.drain()
    except OSError:
        pass  # a connection lost on its way is what the client reports
    finally:
        writer.close()


async def main(ports):
    servers = [await asyncio.start_server(serve, "0.0.0.0", p, backlog=1024, reuse_address=True)
               for p in ports]
    print("listening on", ports, flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main([int(p) for p in sys.argv[1:]]))
