"""The payload key new recordings are encrypted with. Test data, not a secret: it lets the
replay test open what the recorder wrote. (Histories recorded before payloads were encrypted
are plain and pass through the codec unchanged.)"""

RECORDING_PAYLOAD_KEYS = "recorded-1:/CfJ85xsQJAPJCSj0n0CAJbT3z4GjiRSFbBu0TMCSjU="
