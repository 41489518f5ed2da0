<?php
/**
 * The widget's custom element. Override in your theme as goldcoin/widget.php.
 *
 * @var array<string,string> $attributes element attributes (view, post-id, token, api, locale, refresh-url, refresh-nonce)
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
$goldcoin_html = '<goldcoin-widget';
foreach ( $attributes as $goldcoin_name => $goldcoin_value ) {
	$goldcoin_escaped = in_array( $goldcoin_name, array( 'api', 'refresh-url' ), true ) ? esc_url( $goldcoin_value ) : esc_attr( $goldcoin_value );
	$goldcoin_html   .= ' ' . esc_attr( $goldcoin_name ) . '="' . $goldcoin_escaped . '"';
}
echo $goldcoin_html . '></goldcoin-widget>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- every attribute escaped above
