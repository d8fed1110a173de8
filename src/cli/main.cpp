#include <cstdio>
#include "stride/stride.hpp"
int main() { return 0; }
