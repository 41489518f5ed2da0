<?php
/**
 * Compiles a gettext .po file into the binary .mo WordPress loads, without GNU gettext's msgfmt.
 * Usage: php scripts/wp-compile-mo.php wp-plugin-shim/languages/goldcoin-zh_CN.po
 * Handles what the plugin's catalogues use: msgid/msgstr pairs, msgctxt, multi-line strings, comments.
 */

$goldcoin_po = $argv[1] ?? '';
if ( ! is_file( $goldcoin_po ) ) {
	fwrite( STDERR, "usage: php scripts/wp-compile-mo.php <file.po>\n" );
	exit( 2 );
}

function goldcoin_po_string( string $quoted ): string {
	return stripcslashes( substr( $quoted, 1, -1 ) );
}

$goldcoin_entries = array();
$goldcoin_current = array();
$goldcoin_field   = null;
$goldcoin_flush   = static function () use ( &$goldcoin_entries, &$goldcoin_current ) {
	if ( isset( $goldcoin_current['msgid'], $goldcoin_current['msgstr'] ) && ( '' === $goldcoin_current['msgid'] || '' !== $goldcoin_current['msgstr'] ) ) {
		$key                      = isset( $goldcoin_current['msgctxt'] ) ? $goldcoin_current['msgctxt'] . "\x04" . $goldcoin_current['msgid'] : $goldcoin_current['msgid'];
		$goldcoin_entries[ $key ] = $goldcoin_current['msgstr'];
	}
	$goldcoin_current = array();
};

foreach ( file( $goldcoin_po, FILE_IGNORE_NEW_LINES ) as $goldcoin_line ) {
	$goldcoin_line = trim( $goldcoin_line );
	if ( '' === $goldcoin_line || str_starts_with( $goldcoin_line, '#' ) ) {
		continue;
	}
	if ( preg_match( '/^(msgctxt|msgid|msgstr)\s+(".*")$/', $goldcoin_line, $goldcoin_m ) ) {
		if ( 'msgstr' !== $goldcoin_m[1] && isset( $goldcoin_current['msgstr'] ) ) {
			$goldcoin_flush();
		}
		$goldcoin_field                      = $goldcoin_m[1];
		$goldcoin_current[ $goldcoin_field ] = goldcoin_po_string( $goldcoin_m[2] );
	} elseif ( null !== $goldcoin_field && preg_match( '/^".*"$/', $goldcoin_line ) ) {
		$goldcoin_current[ $goldcoin_field ] .= goldcoin_po_string( $goldcoin_line );
	} else {
		fwrite( STDERR, "unsupported line: $goldcoin_line\n" );
		exit( 1 );
	}
}
$goldcoin_flush();
ksort( $goldcoin_entries, SORT_STRING );

// .mo layout: header, table of original strings, table of translations, then the strings themselves.
$goldcoin_count    = count( $goldcoin_entries );
$goldcoin_orig_at  = 28;
$goldcoin_trans_at = $goldcoin_orig_at + 8 * $goldcoin_count;
$goldcoin_data_at  = $goldcoin_trans_at + 8 * $goldcoin_count;
$goldcoin_tables   = array( '', '' );
$goldcoin_data     = '';
foreach ( array( 0 => array_keys( $goldcoin_entries ), 1 => array_values( $goldcoin_entries ) ) as $goldcoin_which => $goldcoin_strings ) {
	foreach ( $goldcoin_strings as $goldcoin_string ) {
		$goldcoin_tables[ $goldcoin_which ] .= pack( 'VV', strlen( $goldcoin_string ), $goldcoin_data_at + strlen( $goldcoin_data ) );
		$goldcoin_data                      .= $goldcoin_string . "\0";
	}
}
// No hash table (size 0), but its offset must follow the translation table: WordPress's MO reader
// derives the table's length from that offset and refuses the file otherwise.
$goldcoin_mo = pack( 'VVVVVVV', 0x950412de, 0, $goldcoin_count, $goldcoin_orig_at, $goldcoin_trans_at, 0, $goldcoin_data_at ) . $goldcoin_tables[0] . $goldcoin_tables[1] . $goldcoin_data;
$goldcoin_out = preg_replace( '/\.po$/', '.mo', $goldcoin_po );
file_put_contents( $goldcoin_out, $goldcoin_mo );
echo "$goldcoin_out: $goldcoin_count messages\n";
