// The ngame command-line program: a thin layer over the library (see cli/cli_common.h).
#include "cli/cli_common.h"

int main(int argc, char** argv) { return ngame::run_cli(argc, argv); }
