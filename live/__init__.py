"""Live quiz sessions (host on a projector, players on phones) over Channels.

``scoring`` and ``nicknames`` are pure rules; ``services`` does every write; ``hub`` fans one encoded
message out to the players connected to this process; ``consumers`` are thin: parse, authorise, call a
service, publish.
"""
