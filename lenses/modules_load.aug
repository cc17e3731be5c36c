(*
Module: Modules_Load
  Parses systemd's modules-load.d files: the kernel modules that
  systemd-modules-load.service loads early at boot.

Author: the ctune project

About: Reference
  modules-load.d(5), and what systemd-modules-load does with a line:
  it strips leading and trailing whitespace (space, tab, carriage return),
  skips an empty line and a line starting with '#' or ';', and hands the
  rest of the line, whole, to kmod as one module name.  There are no
  trailing comments: "nf_conntrack # why" names a module called
  "nf_conntrack # why".  This lens reads every line the same way, so a
  file it parses is a file systemd reads, and nothing systemd reads fails
  to parse.  (Augeas only ever sees whole lines ending in a newline; a
  file without a final newline is given one when it is loaded.)

About: License
  LGPL v2+, like the rest of Augeas.

About: Lens Usage
  Every module line is a node labelled "module" whose value is the module
  name as systemd would use it (whitespace around it dropped; the original
  spacing is kept on save); comments are "#comment" nodes holding their
  text without the marker; blank lines are kept but hidden.

  > /files/etc/modules-load.d/ctune.conf/#comment = "loaded early for ctune"
  > /files/etc/modules-load.d/ctune.conf/module = "nf_conntrack"

  Find a module:    match /files/etc/modules-load.d/*/module[. = "nf_conntrack"]
  Add a module:     set /files/etc/modules-load.d/ctune.conf/module[last()+1] nf_conntrack
  Remove a module:  rm /files/etc/modules-load.d/ctune.conf/module[. = "nf_conntrack"]

  A new module line is written as the bare name; a new comment as "# text".
  A ';' comment keeps its ';' when it is saved again.  kmod treats '-'
  and '_' in module names as the same character; the lens does not (it
  keeps the spelling): compare names with that in mind.

About: Configuration files
  *.conf in /etc/modules-load.d, /run/modules-load.d,
  /usr/local/lib/modules-load.d, /usr/lib/modules-load.d and
  /lib/modules-load.d.  See <filter>.

About: Examples
  The <Test_Modules_Load> file (lenses/tests/test_modules_load.aug) holds
  the tests, run by augparse.
*)

module Modules_Load =
autoload xfm

(************************************************************************
 * Group: PRIMITIVES
 *   Whitespace is what systemd strips: space, tab and carriage return, so
 *   a file with CRLF line ends reads like one with LF ends.
 ************************************************************************)

(* View: eol
   Trailing whitespace and the newline. *)
let eol = del /[ \t\r]*\n/ "\n"

(* View: indent
   Leading whitespace before a module name. *)
let indent = del /[ \t\r]*/ ""

(* Variable: text
   One or more characters without surrounding whitespace. *)
let text = /[^ \t\r\n]([^\n]*[^ \t\r\n])?/

(* Variable: name
   A module name: text that does not start a comment. *)
let name = text - /[#;].*/

(************************************************************************
 * Group: LINES
 ************************************************************************)

(* View: empty
   A blank line, or a comment marker with nothing after it. *)
let empty = [ del /[ \t\r]*([#;][ \t\r]*)?\n/ "\n" ]

(* View: comment
   A line starting with '#' or ';' (after whitespace). *)
let comment = [ label "#comment" . del /[ \t\r]*[#;][ \t\r]*/ "# " . store text . eol ]

(* View: entry
   One module name per line. *)
let entry = [ label "module" . indent . store name . eol ]

(* View: lns
   The modules-load.d lens. *)
let lns = (empty | comment | entry)*

(* Variable: filter
   The directories systemd-modules-load reads, *.conf only. *)
let filter = incl "/etc/modules-load.d/*.conf"
           . incl "/run/modules-load.d/*.conf"
           . incl "/usr/local/lib/modules-load.d/*.conf"
           . incl "/usr/lib/modules-load.d/*.conf"
           . incl "/lib/modules-load.d/*.conf"
           . Util.stdexcl

let xfm = transform lns filter
