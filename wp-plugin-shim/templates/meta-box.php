<?php
/**
 * The editors' "Gold Coins" box: price and EA file. Override in your theme as goldcoin/meta-box.php
 * (keep the field names and the nonce field: saving reads them).
 *
 * @var WP_Post   $post         the post being edited
 * @var string    $price        the current price, '' when none
 * @var int       $max_price    the largest price the sidecar sells at
 * @var string    $vip_mode     '', 'free', 'discount' or 'only'
 * @var string    $vip_price    members' price under discount or only, '' when none
 * @var string    $access_days  days one purchase gives access for, '' = for good
 * @var string    $dl_limit     downloads per purchase, '' = the site's default
 * @var int       $max_days     the longest access period
 * @var int       $max_dl_limit the largest download limit
 * @var string    $ea_product   the EA's product ID, '' when the post sells no licence
 * @var string    $ea_activations trading accounts per licence, '' = the default
 * @var int       $ea_default_activations the default number of activations
 * @var int       $ea_max_activations the largest number of activations
 * @var bool      $ea_demo_free whether demo accounts are free and unlimited
 * @var string    $ea_licence_days days a licence lasts from the purchase, '' = as long as the access
 * @var int       $ea_max_licence_days the longest licence
 * @var array[]   $ea_versions  the EA file's versions, newest first (version, notes, created_at)
 * @var int       $file_id      the current EA file's attachment ID, 0 when none
 * @var WP_Post[] $choices      attachments the user may pick
 * @var bool      $can_upload   whether the user may upload a new file here
 * @var string    $upload_field the upload input's name
 * @var string    $nonce_action the nonce action saving checks
 * @var string    $nonce_field  the nonce field's name
 * @var string    $error        the last save's error for this user, '' when none
 * @var bool      $sells_nothing a price is set but the post has neither an EA file nor premium content
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
wp_nonce_field( $nonce_action, $nonce_field );
?>
<div class="goldcoin-meta-box">
	<p>
		<label for="goldcoin-price"><?php esc_html_e( 'Price in coins', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-price" name="goldcoin_price" type="number" min="0" max="<?php echo esc_attr( (string) $max_price ); ?>" step="1" class="small-text" value="<?php echo esc_attr( $price ); ?>" />
		<span class="description"><?php esc_html_e( 'Empty or 0: not for sale.', 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-vip"><?php esc_html_e( 'VIP members', 'goldcoin' ); ?></label><br />
		<select id="goldcoin-vip" name="goldcoin_vip">
			<option value="" <?php selected( $vip_mode, '' ); ?>><?php esc_html_e( 'Pay the price like everyone', 'goldcoin' ); ?></option>
			<option value="free" <?php selected( $vip_mode, 'free' ); ?>><?php esc_html_e( 'Free for VIP', 'goldcoin' ); ?></option>
			<option value="discount" <?php selected( $vip_mode, 'discount' ); ?>><?php esc_html_e( 'VIP price (a discount)', 'goldcoin' ); ?></option>
			<option value="only" <?php selected( $vip_mode, 'only' ); ?>><?php esc_html_e( 'VIP only', 'goldcoin' ); ?></option>
		</select>
	</p>
	<p>
		<label for="goldcoin-vip-price"><?php esc_html_e( 'VIP price in coins', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-vip-price" name="goldcoin_vip_price" type="number" min="0" max="<?php echo esc_attr( (string) $max_price ); ?>" step="1" class="small-text" value="<?php echo esc_attr( $vip_price ); ?>" />
		<span class="description"><?php esc_html_e( 'For "VIP price" and "VIP only"; empty: members pay nothing under "VIP only".', 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-access-days"><?php esc_html_e( 'Access for (days)', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-access-days" name="goldcoin_access_days" type="number" min="0" max="<?php echo esc_attr( (string) $max_days ); ?>" step="1" class="small-text" value="<?php echo esc_attr( $access_days ); ?>" />
		<span class="description"><?php esc_html_e( 'Empty: a purchase gives access for good.', 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-download-limit"><?php esc_html_e( 'Downloads per purchase', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-download-limit" name="goldcoin_download_limit" type="number" min="0" max="<?php echo esc_attr( (string) $max_dl_limit ); ?>" step="1" class="small-text" value="<?php echo esc_attr( $dl_limit ); ?>" />
		<span class="description"><?php esc_html_e( "Empty: the site's default.", 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-file"><?php esc_html_e( 'EA file', 'goldcoin' ); ?></label><br />
		<select id="goldcoin-file" name="goldcoin_file">
			<option value="0"><?php esc_html_e( '— None —', 'goldcoin' ); ?></option>
			<?php foreach ( $choices as $goldcoin_attachment ) : ?>
				<option value="<?php echo esc_attr( (string) $goldcoin_attachment->ID ); ?>" <?php selected( $file_id, $goldcoin_attachment->ID ); ?>><?php echo esc_html( wp_basename( (string) get_attached_file( $goldcoin_attachment->ID ) ) . ' (#' . $goldcoin_attachment->ID . ')' ); ?></option>
			<?php endforeach; ?>
		</select>
	</p>
	<?php if ( $can_upload ) : ?>
		<p>
			<label for="goldcoin-file-upload"><?php esc_html_e( 'Or upload a new EA file', 'goldcoin' ); ?></label><br />
			<input id="goldcoin-file-upload" name="<?php echo esc_attr( $upload_field ); ?>" type="file" />
		</p>
	<?php endif; ?>
	<p>
		<label for="goldcoin-ea-version"><?php esc_html_e( 'Version of this file', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-ea-version" name="goldcoin_ea_version" type="text" class="small-text" maxlength="32" placeholder="3.1.0" value="" />
		<span class="description"><?php esc_html_e( 'With a new file: buyers are notified and the licence check reports it as the latest version.', 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-ea-notes"><?php esc_html_e( 'What changed', 'goldcoin' ); ?></label><br />
		<textarea id="goldcoin-ea-notes" name="goldcoin_ea_notes" rows="2" maxlength="2000" class="widefat"></textarea>
	</p>
	<?php if ( $ea_versions ) : ?>
		<p><?php esc_html_e( 'Versions', 'goldcoin' ); ?></p>
		<ul class="goldcoin-versions">
			<?php foreach ( $ea_versions as $goldcoin_version ) : ?>
				<li><strong><?php echo esc_html( (string) ( $goldcoin_version['version'] ?? '' ) ); ?></strong> <?php echo esc_html( mysql2date( get_option( 'date_format' ), (string) ( $goldcoin_version['created_at'] ?? '' ) ) ); ?><br /><?php echo esc_html( (string) ( $goldcoin_version['notes'] ?? '' ) ); ?></li>
			<?php endforeach; ?>
		</ul>
	<?php endif; ?>
	<p class="description"><?php esc_html_e( 'The EA file is moved to protected storage: only buyers can download it, through a signed link.', 'goldcoin' ); ?></p>
	<h4><?php esc_html_e( 'EA licence', 'goldcoin' ); ?></h4>
	<p>
		<label for="goldcoin-ea-product"><?php esc_html_e( 'EA product ID', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-ea-product" name="goldcoin_ea_product" type="text" maxlength="64" class="widefat" value="<?php echo esc_attr( $ea_product ); ?>" />
		<span class="description"><?php esc_html_e( 'The ID compiled into the EA. Empty: buyers get no licence key.', 'goldcoin' ); ?></span>
	</p>
	<p>
		<label for="goldcoin-ea-activations"><?php esc_html_e( 'Trading accounts per licence', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-ea-activations" name="goldcoin_ea_max_activations" type="number" min="0" max="<?php echo esc_attr( (string) $ea_max_activations ); ?>" step="1" class="small-text" placeholder="<?php echo esc_attr( (string) $ea_default_activations ); ?>" value="<?php echo esc_attr( $ea_activations ); ?>" />
	</p>
	<p>
		<label><input name="goldcoin_ea_demo_free" type="checkbox" value="1" <?php checked( $ea_demo_free ); ?> /> <?php esc_html_e( 'Demo accounts free and unlimited', 'goldcoin' ); ?></label>
	</p>
	<p>
		<label for="goldcoin-ea-licence-days"><?php esc_html_e( 'Licence length (days)', 'goldcoin' ); ?></label><br />
		<input id="goldcoin-ea-licence-days" name="goldcoin_ea_licence_days" type="number" min="0" max="<?php echo esc_attr( (string) $ea_max_licence_days ); ?>" step="1" class="small-text" value="<?php echo esc_attr( $ea_licence_days ); ?>" />
		<span class="description"><?php esc_html_e( 'Empty: as long as the reader\'s access to the post.', 'goldcoin' ); ?></span>
	</p>
	<?php if ( $sells_nothing ) : ?>
		<p class="goldcoin-warning"><?php esc_html_e( 'This post has a price but nothing to sell: attach an EA file, or put the premium part inside [goldcoin_unlock]…[/goldcoin_unlock] or a "Gold Coins: premium content" block.', 'goldcoin' ); ?></p>
	<?php endif; ?>
	<?php if ( '' !== $error ) : ?>
		<p class="goldcoin-error"><?php echo esc_html( $error ); ?></p>
	<?php endif; ?>
</div>
