"""The gateway protocol: the images API over HTTP (OpenAI shape, Opper), streaming, decoding."""
