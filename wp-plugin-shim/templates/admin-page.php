<?php
/**
 * The "Gold Coins" admin page: the widget's admin view. Override in your theme as goldcoin/admin-page.php.
 *
 * @var string $element the admin widget element (already escaped), or '' when the plugin is not configured
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<div class="wrap goldcoin-admin">
	<h1><?php esc_html_e( 'Gold Coins', 'goldcoin' ); ?></h1>
	<?php echo $element; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped attributes ?>
</div>
