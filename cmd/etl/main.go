// Command etl compiles and runs SQL-plus-Go transform projects.
package main

import (
	"os"

	_ "time/tzdata" // IANA zones on machines without a zoneinfo database
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
