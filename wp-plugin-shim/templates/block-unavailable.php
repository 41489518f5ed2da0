<?php
/**
 * What a block shows while the part of the plugin it needs is missing. Override in your theme as goldcoin/block-unavailable.php.
 *
 * @var string $message why the block has nothing to show
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<p class="goldcoin-block-unavailable"><?php echo esc_html( $message ); ?></p>
