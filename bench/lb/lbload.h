#pragma once
// The subcommands of vigil_bench_lbload (main.cc): argv after the subcommand's name; each
// prints one JSON object on stdout and returns the exit code.
namespace vigil::benchlb {

int Usage();
int RunLoad(int argc, char** argv);     // load.cc
int RunStartup(int argc, char** argv);  // probe.cc
int RunRecover(int argc, char** argv);  // probe.cc

}  // namespace vigil::benchlb
