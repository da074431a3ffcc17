// APDU: command and response APDUs (ISO/IEC 7816-4 cases 1–4, short and extended), status words with their
// meanings, hex text, BER-TLV and simple-TLV. It depends on nothing; every other target speaks in these types.
