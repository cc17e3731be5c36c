(*
Module: Test_Modules_Load
  Tests for the <Modules_Load> lens: run with
  > augparse -I lenses lenses/tests/test_modules_load.aug
*)
module Test_Modules_Load =

(* Variable: conf
   A typical file: a comment, a blank line, two modules. *)
let conf = "# Load conntrack before systemd-sysctl applies its keys.

nf_conntrack
br_netfilter
"

(* Test: get a typical file *)
test Modules_Load.lns get conf =
  { "#comment" = "Load conntrack before systemd-sysctl applies its keys." }
  { }
  { "module" = "nf_conntrack" }
  { "module" = "br_netfilter" }

(* Test: an empty file stays empty *)
test Modules_Load.lns put "" after
  rm "module" = ""

(* Test: both comment markers, indented comments, empty comments *)
test Modules_Load.lns get "#hash
;semicolon
  ; indented
#
  ;  \t
" =
  { "#comment" = "hash" }
  { "#comment" = "semicolon" }
  { "#comment" = "indented" }
  { }
  { }

(* Test: whitespace around a name is not part of it *)
test Modules_Load.lns get "  nf_conntrack\t \n\tip_conntrack\n" =
  { "module" = "nf_conntrack" }
  { "module" = "ip_conntrack" }

(* Test: CRLF line ends read like LF ones (systemd strips the CR) *)
test Modules_Load.lns get "# dos\r\nnf_conntrack\r\n\r\n" =
  { "#comment" = "dos" }
  { "module" = "nf_conntrack" }
  { }

(* Test: no trailing comments - the rest of the line is the name, as systemd reads it *)
test Modules_Load.lns get "nf_conntrack # needed by ctune\n" =
  { "module" = "nf_conntrack # needed by ctune" }

(* Test: a '#' inside a comment and after the first character of a name *)
test Modules_Load.lns get "# a # b\nfoo#bar\n" =
  { "#comment" = "a # b" }
  { "module" = "foo#bar" }

(* Test: blank lines made of whitespace only *)
test Modules_Load.lns get " \t\n\n" = { } { }

(* Test: a line needs its newline (Augeas adds one when it loads a file) *)
test Modules_Load.lns get "nf_conntrack" = *

(* Test: add a module to an empty file *)
test Modules_Load.lns put "" after
  set "module[last()+1]" "nf_conntrack" = "nf_conntrack\n"

(* Test: add a module after what is there; the rest is kept byte for byte *)
test Modules_Load.lns put conf after
  set "module[last()+1]" "nf_conntrack_ipv4" =
"# Load conntrack before systemd-sysctl applies its keys.

nf_conntrack
br_netfilter
nf_conntrack_ipv4
"

(* Test: remove a module; comments and blank lines stay *)
test Modules_Load.lns put conf after
  rm "module[. = 'nf_conntrack']" =
"# Load conntrack before systemd-sysctl applies its keys.

br_netfilter
"

(* Test: rename a module in place keeps its indentation and CRLF end *)
test Modules_Load.lns put "  ip_conntrack \r\n" after
  set "module" "nf_conntrack" = "  nf_conntrack \r\n"

(* Test: a ';' comment keeps its marker; a new comment is written with '#' *)
test Modules_Load.lns put "; old\n" after
  set "#comment[last()+1]" "new" = "; old\n# new\n"

(* Test: a module inserted before a comment *)
test Modules_Load.lns put "# header\n" after
  insa "module" "#comment";
  set "module" "nf_conntrack" = "# header\nnf_conntrack\n"

(* Test: a name that starts like a comment cannot be stored as a module *)
test Modules_Load.lns put "" after
  set "module" "#nf_conntrack" = *

(* Test: a name with surrounding whitespace cannot be stored *)
test Modules_Load.lns put "" after
  set "module" " nf_conntrack" = *

(* Test: a name cannot span lines *)
test Modules_Load.lns put "" after
  set "module" "nf_conntrack\nbr_netfilter" = *
