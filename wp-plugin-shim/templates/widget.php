<?php
/**
 * The widget's custom element. Override in your theme as goldcoin/widget.php.
 *
 * @var array<string,string> $attributes element attributes (view, post-id, token, api, locale, refresh-url, refresh-nonce, premium-url)
 * @var int                  $min_height the height reserved for the view until it has mounted (px)
 * @var string               $place      'admin-bar' for the bell in the admin bar, else ''
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
$goldcoin_html = '<goldcoin-widget';
foreach ( $attributes as $goldcoin_name => $goldcoin_value ) {
	$goldcoin_escaped = in_array( $goldcoin_name, array( 'api', 'refresh-url', 'premium-url', 'return-url' ), true ) ? esc_url( $goldcoin_value ) : esc_attr( $goldcoin_value );
	$goldcoin_html   .= ' ' . esc_attr( $goldcoin_name ) . '="' . $goldcoin_escaped . '"';
}
// The reserved height is per element (its view), so it is an attribute, not a stylesheet rule. The bell sits in a line
// (a header, the admin bar, whose light text it takes).
$goldcoin_style = 'bell' === ( $attributes['view'] ?? '' ) ? 'display:inline-block;vertical-align:middle;' : 'display:block;';
if ( 'admin-bar' === ( $place ?? '' ) ) {
	$goldcoin_style .= '--goldcoin-bell:#f0f0f1;';
}
$goldcoin_html .= ' style="' . esc_attr( $goldcoin_style . 'min-height:' . absint( $min_height ) . 'px' ) . '"';
echo $goldcoin_html . '></goldcoin-widget>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- every attribute escaped above
