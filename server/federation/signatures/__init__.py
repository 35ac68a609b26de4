"""HTTP signatures of ActivityPub requests: draft-cavage-12 and RFC 9421, signing outgoing
requests and verifying incoming ones. Pure functions over a method, a URL, header fields and a
body; the only I/O is the key source a verifier is given."""
