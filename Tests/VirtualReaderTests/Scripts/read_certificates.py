"""Reads the JPKI certificates through pyscard the way jpki/myna (Rust) does, and prints each as hex.

jpki/myna src/reader.rs `read_binary_all` (research/jpki-protocol.md section 2.3): a 7-byte header read,
then from offset 7 Le 00 while more than 255 bytes remain, else the exact remainder, advancing by what
came back. Usage: /usr/bin/python3 read_certificates.py READER EF...
Prints "EF HEX" per file, and every APDU sent as "> HEX" lines before it.
"""
import sys

from smartcard.System import readers

JPKI_AID = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]


def main(reader_name, files):
    matching = [r for r in readers() if str(r) == reader_name]
    if not matching:
        sys.exit("no reader named %r; pcscd lists %s" % (reader_name, [str(r) for r in readers()]))
    connection = matching[0].createConnection()
    connection.connect()

    def send(apdu):
        print("> " + bytes(apdu).hex().upper())
        data, sw1, sw2 = connection.transmit(apdu)
        if (sw1, sw2) != (0x90, 0x00):
            sys.exit("%s answered %02X%02X" % (bytes(apdu).hex().upper(), sw1, sw2))
        return data

    send([0x00, 0xA4, 0x04, 0x0C, len(JPKI_AID)] + JPKI_AID)
    for ef in files:
        fid = bytes.fromhex(ef)
        send([0x00, 0xA4, 0x02, 0x0C, 0x02] + list(fid))
        content = send([0x00, 0xB0, 0x00, 0x00, 0x07])
        if content[:2] != [0x30, 0x82]:
            sys.exit("EF %s does not start with 30 82: %s" % (ef, bytes(content).hex()))
        size = (content[2] << 8 | content[3]) + 4
        while len(content) < size:
            left = size - len(content)
            le = 0x00 if left > 255 else left
            content += send([0x00, 0xB0, len(content) >> 8, len(content) & 0xFF, le])
        print("%s %s" % (ef, bytes(content).hex().upper()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
