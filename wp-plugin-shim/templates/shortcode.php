<?php
/**
 * The wrapper around a shortcode's widget. Override in your theme as goldcoin/shortcode.php.
 *
 * @var string $element the widget element (from the widget template, already escaped)
 * @var string $view    recharge, wallet, redeem or unlock
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<div class="goldcoin-shortcode goldcoin-shortcode-<?php echo esc_attr( $view ); ?>"><?php echo $element; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped attributes ?></div>
