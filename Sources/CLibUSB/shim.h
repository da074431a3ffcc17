// libusb-1.0 (libusb-1.0-0-dev): raw access to USB CCID readers; pkg-config supplies -I.../include/libusb-1.0.
#include <libusb.h>
