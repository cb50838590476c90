# Writes an employee CSV for `hark import employees` with N rows (-v n=100000),
# for the outreach benchmarks (bench/run.sh). Deterministic: the same N gives
# the same file. Everybody is active (hired between 2015 and 2025, no exit
# date), has a valid address at acme.example and one of a few time zones in
# which 2026-12-02T16:00Z is inside working hours and after the 10:00 send
# time (an empty zone means the tenant's); one person in ten reports to a
# manager. Usage: awk -v n=100000 -f bench/gen-employees.awk > people.csv
BEGIN {
    if (n + 0 < 1) n = 1000
    split("Alice Bob Camille David Emma Farid Giulia Hugo Inès Jonas Karin Léa Marco Nadia Oscar Paula", first, " ")
    split("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Garcia", last, " ")
    split("Engineering Sales Support Operations Finance Marketing People Legal", dept, " ")
    split("Paris Lyon London Berlin Remote", loc, " ")
    split("Europe/Paris,Europe/London,America/New_York,America/Sao_Paulo,", zone, ",")
    print "external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone"
    for (i = 1; i <= n; i++) {
        f = first[1 + i % 16]
        l = last[1 + int(i / 16) % 14]
        mgr = (i % 10 == 0 && i > 10) ? sprintf("e%06d@acme.example", int(i / 10)) : ""
        hire = sprintf("%04d-%02d-%02d", 2015 + i % 11, 1 + i % 12, 1 + i % 28)
        printf "E%06d,e%06d@acme.example,%s,%s,%s,%s,%s,%s,,%s\n", i, i, f, l, dept[1 + i % 8], loc[1 + i % 5], mgr,
            hire, zone[1 + i % 5]
    }
}
