// PC/SC Lite (libpcsclite-dev); pkg-config supplies -I.../include/PCSC, which winscard.h needs for <pcsclite.h>.
#include <winscard.h>
#include <reader.h>
